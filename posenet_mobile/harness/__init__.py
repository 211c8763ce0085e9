"""Mobile-interpreter replay harness: validate, benchmark, report."""
