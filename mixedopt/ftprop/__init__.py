"""Mini-batch feasible target propagation (FTPROP) in numpy: the trainer, its batches,
target steps (how hidden targets are chosen) and unit steps (how each unit is fitted to them).
"""
