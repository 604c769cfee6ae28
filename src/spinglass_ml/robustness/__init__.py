"""The robustness extensions: adversarial attacks and training, symmetries, trade-off and uncertainty
relation.

===========================  ================================================================================
:mod:`.attacks`              FGSM, PGD/BIM, MI-FGSM, the discrete site-flip attack (TensorFlow)
:mod:`.symmetry`             global flip, translations, the 48 cubic operations; activation maps
:mod:`.adversarial`          the adversarial record of one L (``results/robustness/adversarial/L{L}.json``)
:mod:`.adversarial_training` the min-max trainer behind the ``adv-<epsilon>`` conditions
:mod:`.packets`              moments of the neural packet: Delta x, Delta p and the boundary terms on a box
:mod:`.tradeoff`             accuracy and robustness over training, with the packet moments per epoch
                             (``results/robustness/tradeoff/L{L}.json``)
===========================  ================================================================================
"""
