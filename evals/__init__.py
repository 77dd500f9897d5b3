"""Question sets with ground truth, the runner and the scorer."""
