"""The planner: scenario -> candidates -> the one evaluation in bulk -> constraints -> Pareto
front -> result; ``explain`` for one row, ``compare`` for self-hosting beside APIs."""
