"""Exchange formats: network exports for Gephi, i2 Analyst's Notebook, MISP/OpenCTI, notebooks."""
