"""Accuracy of the engine on published measurements: reading them (``measured``), scoring
(``score``) and fitting the calibrated efficiency factors (``calibration``)."""
