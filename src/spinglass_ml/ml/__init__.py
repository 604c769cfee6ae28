"""The machine-learning stage: training sets, poisoning, the Table III CNN, training and predictions.

========================  ===================================================================================
:mod:`.conditions`        the condition grammar (clean, flip-, therm-, adv-<value>), label flips
:mod:`.dataset`           the example index over chunk files, labels by temperature, the split by instance
:mod:`.blocks`            blocks read from HDF5, the block cache, seeded batches (no TensorFlow)
:mod:`.pipeline`          the ``tf.data`` pipelines of training and validation
:mod:`.model`             the Table III network (periodic stride-2 3D convolution, softmax)
:mod:`.train`             ``train_model`` and the files of a training run (model, history, provenance, flips)
:mod:`.predict`           mean high-temperature probability per (instance, T) of a trained model
:mod:`.predictions`       the prediction CSV contract: writer and reader (no TensorFlow)
:mod:`.thermometer`       the thermometer control: a logistic regression on five numbers per snapshot (NumPy)
:mod:`.train_benchmark`   ``python -m spinglass_ml.ml.train_benchmark``: streaming against in-memory training
========================  ===================================================================================
"""
