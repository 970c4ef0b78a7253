"""Writing a resolved network in other formats (ONNX: :mod:`archcalc.export.onnx_model`)."""
