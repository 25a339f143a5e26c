"""Many trainers stepped as one: the batched numpy step that trains a class of live sessions.

On networks this small a step's cost is the fixed cost of some forty numpy calls, not arithmetic (see
:mod:`relu_viz.training`): about 90 µs a step of the spiral workload, whatever the batch. S sessions
whose steps have the same *shape* can share those calls: stack their flat parameter vectors into
Θ (S, P) and do each call once on (S, ...)-shaped arrays. Measured on one core ([2, 8, 8, 8, 1],
batch 10): about 40 µs a step for S = 1, 100 µs for S = 30 (3 µs a session), 240 µs for S = 100.

Same shape (:func:`batch_key`): the numpy fast path, the same layers and activations at the same
offsets in θ, dtype, number of inputs and logits, loss, optimizer, effective batch size B and kind of
regularization. Anything else is per session: data (its own points, n_s of them, its own epoch
permutations), position in the epoch, learning rate η_s, regularization rate λ_s, Adam's t_s,
history, epoch limit.

One step, with X (S, B, d) and targets T (S, B, K) gathered from each session's current epoch order:

    H₀ = X;  Z_l = H_{l−1} @ W_lᵀ + b_l  (W_l: (S, out, in) view of Θ, b_l: (S, 1, out));  H_l = f_l(Z_l)
    G = ∂loss/∂Z_L = r(p, T) ⊙ w        (w (S, B, 1): 1/B_s on a session's rows, 0 on padding)
    ∂W_l = G_lᵀ @ H_{l−1}  (S, out, in),  ∂b_l = Σ_B G_l  (S, out),  G_{l−1} = (G_l @ W_l) ⊙ f'(H_{l−1})
    Θ ← Θ − η ⊙ update(∂Θ)             (η (S, 1); L1/L2 add λ_s·mask·sign(θ) or λ_s·mask·θ first)

Each session's numbers come out of the same elementwise operations as in its own ``Trainer.step``
(the same float32 scalars, the same order), so a stacked run equals the one-by-one runs up to the
summation order inside a matrix product (about 1e-16 relative in float64, 1e-7 in float32; the
tests compare θ, optimizer state, counters and history). An epoch's last batch, the remainder
n_s − pos of a session whose n_s is not a multiple of B, is padded with zero rows of weight 0.

Events happen per session at its own steps and are handled in Python between stretches of plain
stacked steps: a history row (every ``history.every`` steps: the row is copied back into its trainer,
checked for NaN/inf, and the trainer evaluates itself), the end of an epoch (the next epoch's order is
copied in), the epoch limit, and a session's own step budget (a speed cap). Every ``CHECK_EVERY``
steps the whole stack is checked; a session with a non-finite row is put back to its last checked
state and its trainer replays the steps since then one by one (``Trainer.step``): it stops at the
exact failing step with the trainer's own message, and leaves the stack; the others go on.

A session never sees another's numbers: its row of Θ, its rows of X and T (from its own region of the
stacked data), and its row of every gradient and optimizer array are touched only by per-row operations
(a stacked matmul multiplies each session's matrices alone). Trainers are not locked here: the caller
(:mod:`relu_viz.worker`) holds each one's lock while it is in a cohort.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from relu_viz import training
from relu_viz.training import ADAM_BETAS, ADAM_EPS, CHECK_EVERY, MOMENTUM, Trainer

_BIG = np.iinfo(np.int64).max // 4  # "no budget": more steps than any run takes


def batch_key(trainer: Trainer) -> tuple | None:
    """Trainers with equal keys can step together; None: this one steps alone (the autograd path)."""
    plan = trainer._fast_plan
    if plan is None:
        return None
    s = trainer.settings
    reg = "none" if trainer._reg_scaled is None else s.regularization
    return (
        plan,
        trainer._theta.dtype.str,
        trainer._theta.size,
        trainer.x_train.shape[1],
        trainer.n_outputs,
        s.loss,
        s.optimizer,
        trainer.batch_size,
        reg,
    )


_ADAM_TABLE: tuple[np.ndarray, np.ndarray] | None = None


def _adam_table() -> tuple[np.ndarray, np.ndarray]:
    """1 − β₁ᵗ and 1 − β₂ᵗ for t < 2¹⁶, computed as ``Trainer`` does (Python floats, so bit for bit
    equal; numpy's power may differ by an ulp). Beyond the table both are exactly 1.0 in float64."""
    global _ADAM_TABLE
    if _ADAM_TABLE is None:
        b1, b2 = ADAM_BETAS
        t = range(1 << 16)
        _ADAM_TABLE = (np.array([1 - b1**i for i in t]), np.array([1 - b2**i for i in t]))
        assert _ADAM_TABLE[0][-1] == 1.0 and _ADAM_TABLE[1][-1] == 1.0
    return _ADAM_TABLE


class Cohort:
    """Trainers of one :func:`batch_key`, stacked; :meth:`run` steps them together, :meth:`close`
    hands every trainer its state back. ``budgets``: most steps each may take (None: no limit).

    Between ``Cohort(...)`` and :meth:`close` the trainers' own θ, optimizer state and counters are
    stale (the stack holds the truth); the caller must not touch them.
    """

    def __init__(self, trainers: Sequence[Trainer], budgets: Sequence[int | None] | None = None) -> None:
        budgets = list(budgets) if budgets is not None else [None] * len(trainers)
        self.trainers = list(trainers)
        self._start = [t.step_count for t in self.trainers]
        members: list[int] = []
        key = None
        for i, (t, budget) in enumerate(zip(self.trainers, budgets, strict=True)):
            if (budget is not None and budget <= 0) or not _ready(t):
                continue
            k = batch_key(t)
            if k is None or (key is not None and k != key):
                raise ValueError("A cohort's trainers must share one batch_key (and not be None).")
            key = k
            members.append(i)
        self._key = key
        self._members = members  # index into self.trainers, per stacked row
        if not members:
            return
        ts = [self.trainers[i] for i in members]
        first = ts[0]
        self._dtype = first._theta.dtype
        self._kind = first.settings.loss
        self._opt_kind = first.settings.optimizer
        self._reg_kind = key[-1]
        self._B = first.batch_size
        self._plan = first._fast_plan
        kernels = [training._kernels(a) for a in list(first._body)[1::2]]  # Linear, act, ..., Linear
        self._act_fwd = [f for f, _ in kernels] + [None]
        self._act_bwd = [b for _, b in kernels]
        self.theta = np.stack([t._theta for t in ts])
        self.opt = [np.stack([t._opt[j] for t in ts]) for j in range(len(first._opt))]
        self.adam_t = np.array([t._adam_t for t in ts], dtype=np.int64)
        self.steps = np.array([t.step_count for t in ts], dtype=np.int64)
        self.epoch_index = np.array([t._epoch_index for t in ts], dtype=np.int64)
        self.pos = np.array([t._pos for t in ts], dtype=np.int64)
        self.n = np.array([t.n_train for t in ts], dtype=np.int64)
        self.every = np.array([t.history.every for t in ts], dtype=np.int64)
        self.limit = np.array([t.settings.epoch_limit or _BIG for t in ts], dtype=np.int64)
        self.budget = np.array(
            [_BIG if budgets[i] is None else int(budgets[i]) for i in members], dtype=np.int64
        )
        self.lr = np.array([t.settings.lr for t in ts])  # float64: Adam's η/(1 − β₁ᵗ) is made in float64
        self.reg = None if self._reg_kind == "none" else np.stack([t._reg_scaled for t in ts])
        # the data: each session's current epoch order in its own region, then one zero row (padding)
        d, k = first.x_train.shape[1], first._t_train.shape[1]
        self.base = np.concatenate([[0], np.cumsum(self.n)[:-1]]).astype(np.int64)
        total = int(self.n.sum())
        self._dx = np.zeros((total + 1, d), dtype=self._dtype)
        self._dt = np.zeros((total + 1, k), dtype=self._dtype)
        self._zero = total
        for row in range(len(ts)):
            self._load_epoch(row)
        self._alloc()
        self._save_good(slice(None))
        self._check_left = CHECK_EVERY

    # -- layout --------------------------------------------------------------------------------------

    def _alloc(self) -> None:
        """Work arrays and the per-layer views of the stacks (after any change of the rows)."""
        s = len(self.theta)
        self.grad = np.zeros_like(self.theta)
        self.tmp = np.zeros_like(self.theta)
        self._lr_cast = self.lr.astype(self._dtype)[:, None]  # η as the float32 scalar a Trainer uses
        self._fwd = []
        self._bwd = []
        for w_off, (o, i), b_off, _ in self._plan:
            w = self.theta[:, w_off : w_off + o * i].reshape(s, o, i)
            gw = self.grad[:, w_off : w_off + o * i].reshape(s, o, i)
            assert np.shares_memory(w, self.theta) and np.shares_memory(gw, self.grad)
            self._fwd.append((w.transpose(0, 2, 1), self.theta[:, None, b_off : b_off + o]))
            self._bwd.append((w, gw, self.grad[:, b_off : b_off + o]))

    def _load_epoch(self, row: int) -> None:
        """Copy the session's current epoch order into its region of the stacked data."""
        t = self.trainers[self._members[row]]
        xs, ts = t._epoch_order(int(self.epoch_index[row]), int(self.pos[row]))
        b, n = int(self.base[row]), int(self.n[row])
        self._dx[b : b + n] = xs
        self._dt[b : b + n] = ts

    def _save_good(self, rows: slice | np.ndarray | int) -> None:
        if isinstance(rows, slice):
            self._good = (
                self.theta.copy(),
                [a.copy() for a in self.opt],
                self.adam_t.copy(),
                self.steps.copy(),
                self.epoch_index.copy(),
                self.pos.copy(),
            )
            return
        theta, opt, adam_t, steps, epoch_index, pos = self._good
        theta[rows] = self.theta[rows]
        for dst, src in zip(opt, self.opt, strict=True):
            dst[rows] = src[rows]
        adam_t[rows], steps[rows] = self.adam_t[rows], self.steps[rows]
        epoch_index[rows], pos[rows] = self.epoch_index[rows], self.pos[rows]

    def _finite_rows(self) -> np.ndarray:
        ok = np.isfinite(self.theta).all(axis=1)
        for a in self.opt:
            ok &= np.isfinite(a).all(axis=1)
        return ok

    @property
    def size(self) -> int:
        """Sessions still stepping in the stack."""
        return len(self._members)

    # -- the batched step ----------------------------------------------------------------------------

    def _step(self, idx: np.ndarray, scale: float | np.ndarray) -> None:
        """One step of every row: batch rows ``idx`` (S, B) of the stacked data, loss scale (1/B or
        (S, B, 1) weights)."""
        h = self._dx[idx]
        t = self._dt[idx]
        inputs = []
        for (wt, b), f in zip(self._fwd, self._act_fwd, strict=True):
            inputs.append(h)
            h = np.matmul(h, wt)
            h += b
            if f is not None:
                f(h)
        g = training._np_dloss(h, t, self._kind, scale)
        for k in range(len(self._bwd) - 1, -1, -1):
            w, gw, gb = self._bwd[k]
            a = inputs[k]
            np.matmul(g.transpose(0, 2, 1), a, out=gw)
            np.add.reduce(g, 1, None, gb)
            if k:
                g = np.matmul(g, w)
                back = self._act_bwd[k - 1]
                if back is not None:
                    back(a, g)
        self._update()

    def _update(self) -> None:
        """``Trainer._update_params`` on every row, with per-row η and λ."""
        g, theta, tmp = self.grad, self.theta, self.tmp
        if self.reg is not None:
            if self._reg_kind == "l2":
                np.multiply(theta, self.reg, out=tmp)
            else:
                np.sign(theta, out=tmp)
                tmp *= self.reg
            g += tmp
        if self._opt_kind == "sgd":
            np.multiply(g, self._lr_cast, out=tmp)
        elif self._opt_kind == "momentum":
            (buf,) = self.opt
            buf *= MOMENTUM
            buf += g
            np.multiply(buf, self._lr_cast, out=tmp)
        else:
            m, v = self.opt
            b1, b2 = ADAM_BETAS
            self.adam_t += 1
            one_minus_b1, one_minus_b2 = _adam_table()
            t = np.minimum(self.adam_t, len(one_minus_b1) - 1)
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom *= (1 / np.sqrt(one_minus_b2[t])).astype(self._dtype)[:, None]
            denom += ADAM_EPS
            np.divide(m, denom, out=tmp)
            tmp *= (self.lr / one_minus_b1[t]).astype(self._dtype)[:, None]
        theta -= tmp

    # -- running -------------------------------------------------------------------------------------

    def run(self, max_steps: int | None = None, deadline: float | None = None) -> int:
        """Step the stack up to ``max_steps`` times, or until ``time.perf_counter()`` passes ``deadline``
        (read before each step), or until every session has stopped or used its budget. Returns the
        stacked steps taken."""
        done = 0
        ar = np.arange(self._B)
        while self._members and (max_steps is None or done < max_steps):
            due = self._due()
            k = min(int(due.min()), self._check_left)
            if max_steps is not None:
                k = min(k, max_steps - done)
            plain = k - 1 if k == int(due.min()) else k  # the last step of a stretch may end epochs
            idx = (self.base + self.pos)[:, None] + ar
            j = 0
            while j < plain:
                if deadline is not None and time.perf_counter() >= deadline:
                    break
                self._step(idx, 1.0 / self._B)
                idx += self._B
                j += 1
            if j:
                self._advance(j, self._B)
                done += j
            if j < plain:
                self._events()  # the deadline: bring the counters up to date and stop
                break
            if plain < k:
                if deadline is not None and time.perf_counter() >= deadline:
                    break
                b = np.minimum(self.n - self.pos, self._B)
                valid = ar < b[:, None]
                idx = np.where(valid, (self.base + self.pos)[:, None] + ar, self._zero)
                scale = np.where(valid, 1.0 / b[:, None], 0.0).astype(self._dtype)[:, :, None]
                self._step(idx, scale)
                self._advance(1, b)
                done += 1
            self._events()
        return done

    def _due(self) -> np.ndarray:
        """Steps until each row's next event: a history row, its epoch's end, or its budget's end."""
        until_row = self.every - self.steps % self.every
        until_end = (self.n - self.pos + self._B - 1) // self._B
        return np.minimum(np.minimum(until_row, until_end), self.budget)

    def _advance(self, k: int, b: int | np.ndarray) -> None:
        self.steps += k
        self.pos += k * b
        self.budget -= k
        self._check_left -= k

    def _events(self) -> None:
        """Handle what is due after the steps just taken (see the module docstring)."""
        ended = self.pos >= self.n
        if ended.any():
            self.epoch_index[ended] += 1
            self.pos[ended] = 0
        recorded = self.steps % self.every == 0
        stop = (self.budget <= 0) | (self.epoch_index >= self.limit)
        bad = np.zeros(len(self._members), dtype=bool)
        if self._check_left <= 0:
            bad = ~self._finite_rows()
        elif (recorded | stop).any():
            rows = np.flatnonzero(recorded | stop)
            bad[rows] = ~self._finite_rows_of(rows)
        leave = np.zeros(len(self._members), dtype=bool)
        for row in np.flatnonzero(bad):
            if not self._replay(int(row)):
                leave[row] = True
        if self._check_left <= 0:
            self._save_good(slice(None))
            self._check_left = CHECK_EVERY
        for row in np.flatnonzero((recorded | stop | ended) & ~bad):
            row = int(row)
            t = self.trainers[self._members[row]]
            if recorded[row] or stop[row]:
                self._save_good(row)
                self._put(row, t)
                if recorded[row] and t.history.last_step() != t.step_count:
                    t._record()
                    self.every[row] = t.history.every
                if self.epoch_index[row] >= self.limit[row]:
                    t._stop_at_limit()
                    leave[row] = True
                elif self.budget[row] <= 0:
                    leave[row] = True
            if ended[row] and not leave[row]:
                self._load_epoch(row)
        if leave.any():
            self._drop(leave)

    def _finite_rows_of(self, rows: np.ndarray) -> np.ndarray:
        ok = np.isfinite(self.theta[rows]).all(axis=1)
        for a in self.opt:
            ok &= np.isfinite(a[rows]).all(axis=1)
        return ok

    def _put(self, row: int, t: Trainer) -> None:
        """Copy a row's state into its trainer."""
        np.copyto(t._theta, self.theta[row])
        for dst, src in zip(t._opt, self.opt, strict=True):
            np.copyto(dst, src[row])
        t._adam_t = int(self.adam_t[row])
        t.step_count = int(self.steps[row])
        t._epoch_index = int(self.epoch_index[row])
        t._pos = int(self.pos[row])

    def _take(self, row: int, t: Trainer) -> None:
        """Copy a trainer's state into its row."""
        self.theta[row] = t._theta
        for dst, src in zip(self.opt, t._opt, strict=True):
            dst[row] = src
        self.adam_t[row] = t._adam_t
        self.steps[row], self.epoch_index[row], self.pos[row] = t.step_count, t._epoch_index, t._pos
        self.every[row] = t.history.every

    def _replay(self, row: int) -> bool:
        """A row went non-finite: put its trainer back to the row's last checked state and let the
        trainer redo the steps since, one by one (it stops at the exact failing step). Returns whether
        the session goes on (the replay found no failure: then the row takes the trainer's state)."""
        t = self.trainers[self._members[row]]
        theta, opt, adam_t, steps, epoch_index, pos = self._good
        lost = int(self.steps[row] - steps[row])
        np.copyto(t._theta, theta[row])
        for dst, src in zip(t._opt, opt, strict=True):
            np.copyto(dst, src[row])
        t._adam_t, t.step_count = int(adam_t[row]), int(steps[row])
        t._epoch_index, t._pos = int(epoch_index[row]), int(pos[row])
        t.step(lost)
        if t.status != "ok":
            return False
        self._take(row, t)  # (only if someone changed θ under us: the lone steps found no failure)
        self._save_good(row)
        self._load_epoch(row)
        return self.budget[row] > 0

    def _drop(self, leave: np.ndarray) -> None:
        keep = ~leave
        self._members = [m for m, k in zip(self._members, keep, strict=True) if k]
        if not self._members:
            return
        for name in ("theta", "adam_t", "steps", "epoch_index", "pos", "n", "every", "limit", "budget", "lr"):
            setattr(self, name, getattr(self, name)[keep])
        self.base = self.base[keep]
        self.opt = [a[keep] for a in self.opt]
        if self.reg is not None:
            self.reg = self.reg[keep]
        theta, opt, adam_t, steps, epoch_index, pos = self._good
        self._good = (
            theta[keep],
            [a[keep] for a in opt],
            adam_t[keep],
            steps[keep],
            epoch_index[keep],
            pos[keep],
        )
        self._alloc()

    def close(self) -> list[int]:
        """Hand every trainer its state back (checked, as at the end of a ``Trainer.step`` call);
        returns the steps each trainer took since the cohort was made."""
        if self._members:
            ok = self._finite_rows()
            for row, member in enumerate(self._members):
                t = self.trainers[member]
                if ok[row]:
                    self._put(row, t)
                    t._save_good()
                else:
                    self._replay(row)  # leaves the trainer where its own steps would have
            self._members = []
        return [t.step_count - s for t, s in zip(self.trainers, self._start, strict=True)]


def _ready(t: Trainer) -> bool:
    """What ``Trainer.step`` checks before its first step: whether ``t`` may step now."""
    if t.status != "ok":
        return False
    t._ensure_bound()
    with np.errstate(all="ignore"):
        if not t._finite():
            t.step(1)  # restores the last good weights and explains, as a lone step would
            return False
    if t._limit_reached():
        t.step(1)  # stops at the limit, as a lone step would
        return False
    t._save_good()
    return True


def step_together(trainers: Sequence[Trainer], n: int | Sequence[int]) -> list[int]:
    """``[t.step(n) for t in trainers]``, the same results, with trainers of equal :func:`batch_key`
    stepped as one stack (the others one by one). ``n``: steps for all, or one count per trainer."""
    counts = [int(n)] * len(trainers) if isinstance(n, int | np.integer) else [int(c) for c in n]
    taken = [0] * len(trainers)
    for key, group in _groups(trainers).items():
        if key is None:
            for i in group:
                taken[i] = trainers[i].step(counts[i])
            continue
        cohort = Cohort([trainers[i] for i in group], [counts[i] for i in group])
        with np.errstate(all="ignore"):
            cohort.run()
        for i, got in zip(group, cohort.close(), strict=True):
            taken[i] = got
    return taken


def _groups(trainers: Sequence[Trainer]) -> dict[tuple | None, list[int]]:
    """Trainer indices by :func:`batch_key` (None: those that step alone)."""
    groups: dict[tuple | None, list[int]] = {}
    for i, t in enumerate(trainers):
        groups.setdefault(batch_key(t), []).append(i)
    return groups


def run_for(
    trainers: Sequence[Trainer], seconds: float, budgets: Sequence[int | None] | None = None
) -> list[int]:
    """Step trainers of one :func:`batch_key` together for about ``seconds`` of wall time (each at most
    its budget); returns the steps each took."""
    cohort = Cohort(trainers, budgets)
    with np.errstate(all="ignore"):
        cohort.run(deadline=time.perf_counter() + seconds)
    return cohort.close()
