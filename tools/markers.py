"""The START/END markers around student code, in one place for every tool that finds, blanks,
reports or packs it (build_student, check_student_edition, progress, collect_submission, grade).

The markers are the classic CS231n lines, byte for byte. The student edition replaces each marked
region with ``raise NotImplementedError(BLANK_MESSAGE.format(function=..., path=...))``.
"""

START_TEXT = "START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)"
END_TEXT = "END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)"
START_MARKER = f"# *****{START_TEXT}*****"
END_MARKER = f"# *****{END_TEXT}*****"
BLANK_TEXT = "fill in the code between the START/END markers"  # how an unfinished blank's error ends
BLANK_MESSAGE = "{function} in {path}: " + BLANK_TEXT
