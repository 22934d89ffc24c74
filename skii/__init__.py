"""skii: feature selection by information imbalance, scikit-learn compatible."""

__version__ = "0.1.0"
