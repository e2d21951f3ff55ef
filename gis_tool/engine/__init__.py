"""The engine: candidate sites, criteria, value functions, weights, conditions,
constraints, readiness, scores and ranks, and the pipeline that runs an analysis."""
