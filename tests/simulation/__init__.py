"""The year simulator (issue 24): random years through the real app, checked against what must
always hold. ``python -m tests.simulation --years 3 --seed N`` runs it longer; see README."""
