"""Plants besides the demo for the evals: plant files, their scenarios and cached stores."""
