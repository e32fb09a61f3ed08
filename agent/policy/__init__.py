"""The lossless policy: model, units, baselines, per-device overrides, headroom and ECN math."""
