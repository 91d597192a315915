"""Flow matching (rectified flow): x_t = (1 - t) x0 + t * noise, and sampling integrates
dx/dt = v = noise - x0 from t = 1 (noise) to t = 0 (data). The model's output is either that
velocity (prediction 'flow_velocity') or the clean sample x0 itself ('flow_sample'), from which
v = (x_t - x0) / t."""
import torch

PREDICTIONS = ("flow_velocity", "flow_sample")
T_FLOOR = 0.05  # training only: the division by t in the flow_sample velocity uses max(t, T_FLOOR)


def velocity(out, x, t, prediction, floor=0.0):
    """The flow velocity from the model output at (x, t); t a float or a [B] tensor."""
    if prediction == "flow_velocity":
        return out
    if prediction == "flow_sample":
        if torch.is_tensor(t):
            t = t.clamp(min=floor).reshape(-1, *([1] * (x.dim() - 1)))
        else:
            t = max(float(t), floor)
        return (x - out) / t
    raise ValueError("unknown prediction %r (known: %s)" % (prediction, ", ".join(PREDICTIONS)))


def timesteps(steps, shift=1.0):
    """t_0 = 1 > t_1 > ... > t_steps = 0; t_i = s(1 - i/steps), s(u) = shift*u / (1 + (shift-1)*u)."""
    u = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return shift * u / (1 + (shift - 1) * u)


@torch.no_grad()
def guided_velocity(model, x, t, ids, lengths, uncond_ids, uncond_lengths, guidance):
    """One batched forward of [cond; uncond]; out = out_u + guidance * (out_c - out_u), then the
    velocity (the same as guiding velocities: at one (x, t) the velocity is affine in the output)."""
    b = x.shape[0]
    tt = torch.full((2 * b,), float(t))
    o = model(torch.cat([x, x]), tt, torch.cat([ids, uncond_ids]), torch.cat([lengths, uncond_lengths]))
    oc, ou = o[:b], o[b:]
    return velocity(ou + guidance * (oc - ou), x, float(t), model.cfg.prediction)


def guided_at(t, guidance, interval=(0.0, 1.0)):
    """Whether a step at flow time t applies guidance: a scale other than 1 and t within the
    interval [from, to] (guidance in a limited interval, Kynkaenniemi et al. 2024); elsewhere the
    conditional output is used alone, and the unconditional forward is not run."""
    return guidance != 1 and interval[0] <= float(t) <= interval[1]


@torch.no_grad()
def cond_velocity(model, x, t, ids, lengths):
    """The velocity from the conditional output alone (a forward of the conditional rows only)."""
    o = model(x, torch.full((x.shape[0],), float(t)), ids, lengths)
    return velocity(o, x, float(t), model.cfg.prediction)


@torch.no_grad()
def sample_euler(model, noise, ids, lengths, uncond_ids, uncond_lengths, steps, guidance, shift=1.0,
                 trace=None, interval=(0.0, 1.0)):
    """Flow Euler: x <- x + (t_{i+1} - t_i) * v(x, t_i), guided where guided_at says. trace (a
    list) receives every step's x."""
    ts = timesteps(steps, shift)
    x = noise
    for i in range(steps):
        if guided_at(ts[i], guidance, interval):
            v = guided_velocity(model, x, ts[i], ids, lengths, uncond_ids, uncond_lengths, guidance)
        else:
            v = cond_velocity(model, x, ts[i], ids, lengths)
        x = x + float(ts[i + 1] - ts[i]) * v
        if trace is not None:
            trace.append(x.clone())
    return x
