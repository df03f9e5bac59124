"""Intake of reports of suspected trafficking from platforms and ISPs (clause 5(a))."""
