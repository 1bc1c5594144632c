"""Build and maintenance tools of the course (not handed to students)."""
