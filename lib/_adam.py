"""The optimisation loop every trained model of the course shares (ungraded helper).

The CT-RNN (01), the E/I network (02, 05) and the Neural ODE (01) differ only in how one
batch's loss is computed; the loop around it is this one: Adam, a learning-rate schedule
stepped once per iteration, gradient clipping, optional progress bar and time limit.
"""

import time

import torch
from torch import nn

MAX_GRAD_NORM = 1.0
"""Gradients are clipped to this total norm before every Adam step."""


def adam_loop(parameters, batch_loss, n_iter, lr, schedule, desc, max_seconds=None,
              progress=False):
    """Minimise ``batch_loss(i)`` for iterations ``i = 0 .. n_iter - 1`` with Adam.

    ``parameters``: a list of tensors; ``batch_loss(i)`` returns ``(objective, reported)``:
    the scalar tensor to minimise and the one to record (they differ when a penalty is
    added); ``schedule(optimizer)`` builds the learning-rate scheduler, stepped after every
    Adam step; ``desc`` labels the progress bar (``progress=True``).  Stops early once
    ``max_seconds`` (wall clock) have passed.

    Returns ``(losses, seconds)``: the reported losses (floats, one per iteration run) and
    the wall-clock seconds of the loop.
    """
    parameters = list(parameters)
    opt = torch.optim.Adam(parameters, lr=lr)
    sched = schedule(opt)
    iterations = range(n_iter)
    if progress:
        from tqdm.auto import tqdm
        iterations = tqdm(iterations, desc=desc)
    losses = []
    t0 = time.perf_counter()
    for i in iterations:
        objective, reported = batch_loss(i)
        opt.zero_grad()
        objective.backward()
        nn.utils.clip_grad_norm_(parameters, MAX_GRAD_NORM)
        opt.step()
        sched.step()
        losses.append(reported.item())
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            break
    return losses, time.perf_counter() - t0
