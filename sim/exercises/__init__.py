"""Exercises: a bank whose answers the simulator computes, per-student variants,
one checker for the page, the notebook and the grader.

    >>> from sim.exercises import instance, exercise_html
    >>> ex = instance("rc-hit", "alice")
    >>> ex.check(ex.answer)[0]
    True

CLI (in the course's folder, with the repository installed or on PYTHONPATH): ``python -m sim.exercises sheet --student ID [--chapter N] [--key]``,
``python -m sim.exercises page --student ID --chapter N -o FILE``,
``python -m sim.exercises grade --student ID answers.json``,
``python -m sim.exercises grade --class DIR [--chapter N] [--roster FILE]``, ``python -m sim.exercises notebooks``.
Each takes ``--secret-file FILE`` (or ``$OP1_COURSE_SECRET``): the course secret, without
which anybody can compute any student's variant and key (practice mode; ``variants.py``).
"""
from .bank import BANK, ExerciseError, chapter_ids, instance
from .model import Instance, normalise
from .variants import StudentError
from .grade import GradeError, answer_file, grade, grade_class, grade_file, sheet, sheet_markdown
from .html import Exercise, chapter_html, exercise_html, export_answers, page_html

__all__ = ["BANK", "Exercise", "ExerciseError", "GradeError", "Instance", "StudentError", "answer_file",
           "chapter_html", "chapter_ids", "exercise_html", "export_answers", "grade", "grade_class",
           "grade_file", "instance", "normalise", "page_html", "sheet", "sheet_markdown"]
