"""/jirei check and the guard on study groups' channels."""
