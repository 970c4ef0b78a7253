"""Measured on this CPU: the torch model, fvcore validation, timing, calibration. The only package
that imports torch (inside its modules, never at package import)."""
