"""Flow matching (rectified flow): x_t = (1 - t) x0 + t * noise, the model predicts v = noise - x0,
and sampling integrates dx/dt = v from t = 1 (noise) to t = 0 (data)."""
import torch


def timesteps(steps, shift=1.0):
    """t_0 = 1 > t_1 > ... > t_steps = 0; t_i = s(1 - i/steps), s(u) = shift*u / (1 + (shift-1)*u)."""
    u = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return shift * u / (1 + (shift - 1) * u)


@torch.no_grad()
def guided_velocity(model, x, t, ids, lengths, uncond_ids, uncond_lengths, guidance):
    """One batched forward of [cond; uncond]; v = v_u + guidance * (v_c - v_u)."""
    b = x.shape[0]
    tt = torch.full((2 * b,), float(t))
    v = model(torch.cat([x, x]), tt, torch.cat([ids, uncond_ids]), torch.cat([lengths, uncond_lengths]))
    vc, vu = v[:b], v[b:]
    return vu + guidance * (vc - vu)


@torch.no_grad()
def sample_euler(model, noise, ids, lengths, uncond_ids, uncond_lengths, steps, guidance, shift=1.0,
                 trace=None):
    """Flow Euler: x <- x + (t_{i+1} - t_i) * v(x, t_i). trace (a list) receives every step's x."""
    ts = timesteps(steps, shift)
    x = noise
    for i in range(steps):
        v = guided_velocity(model, x, ts[i], ids, lengths, uncond_ids, uncond_lengths, guidance)
        x = x + float(ts[i + 1] - ts[i]) * v
        if trace is not None:
            trace.append(x.clone())
    return x
