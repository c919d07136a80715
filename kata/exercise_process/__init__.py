"""What runs inside an exercise's process: the learner's code loaded, guarded, tested and reported on."""
