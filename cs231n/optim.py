"""First-order update rules used by the captioning solver.

Each rule has the interface

    next_w, config = update(w, dw, config)

- w: an array of the current weights;
- dw: an array of w's shape, the gradient of the loss with respect to w;
- config: a dict of hyperparameters (learning rate, ...) and of the rule's state (moment
  estimates, step count). Pass None on the first call to get the defaults; the solver keeps
  one config per parameter and passes it back on every step.

Returns next_w, the updated weights, and config, to pass to the next call.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: w -= learning_rate * dw.

    config format:
    - learning_rate: Scalar learning rate.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum: a velocity that averages past steps.

    v = momentum * v - learning_rate * dw;  w += v

    config format:
    - learning_rate: Scalar learning rate.
    - momentum: Scalar between 0 and 1 giving the momentum value; 0 is plain sgd.
    - velocity: An array of w's shape, a moving average of the steps.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: divides each step by a moving average of the squared gradient, per weight.

    cache = decay_rate * cache + (1 - decay_rate) * dw**2;  w -= learning_rate * dw / (sqrt(cache) + epsilon)

    config format:
    - learning_rate: Scalar learning rate.
    - decay_rate: Scalar between 0 and 1 giving the decay rate for the squared gradient cache.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero.
    - cache: Moving average of second moments of gradients.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    rho = config["decay_rate"]
    config["cache"] = rho * config["cache"] + (1 - rho) * (dw * dw)
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    """The Adam update rule (Kingma and Ba, 2015): moving averages of the gradient and of its
    square, with a bias correction for their zero start.

    config format:
    - learning_rate: Scalar learning rate.
    - beta1: Decay rate for the moving average of the first moment of the gradient.
    - beta2: Decay rate for the moving average of the second moment of the gradient.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero.
    - m: Moving average of the gradient.
    - v: Moving average of the squared gradient.
    - t: Iteration number.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw * dw)
    m_hat = config["m"] / (1 - beta1**t)
    v_hat = config["v"] / (1 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
