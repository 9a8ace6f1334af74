"""CS231n assignment 3: the package the notebooks in ``assignment3/`` import."""
