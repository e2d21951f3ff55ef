"""Studies built on a scored result: investor inquiries, sensitivity and comparison."""
