"""The bench's cases in PyTorch, written as a PyTorch user writes them, keyed by the case id of
bench/suites/*.js. Each builder takes prepare()'s data (typed arrays as numpy arrays) and the case's
`torch` config, and returns step() (-> tensor or list of tensors) or (step, state)."""
import torch
import torch.nn.functional as F
from torch import nn

CASES = {}


def case(*ids):
    def register(builder):
        for id in ids:
            CASES[id] = builder
        return builder
    return register


def tensor(entry, requires_grad=False):
    """A {shape, values} entry of inputData()."""
    return torch.from_numpy(entry["values"]).reshape(entry["shape"]).requires_grad_(requires_grad)


def linear(weight, bias):
    """nn.Linear holding the given [out, in] weight and [out] bias."""
    layer = nn.Linear(weight["shape"][1], weight["shape"][0])
    with torch.no_grad():
        layer.weight.copy_(tensor(weight))
        layer.bias.copy_(tensor(bias))
    return layer


def adam(params):
    """bench/suites/common.js's ADAM is torch.optim.Adam's defaults."""
    return torch.optim.Adam(params)


def op_case(fn):
    """A case computing one tensor from fixed inputs: fn(**inputs)."""
    def build(data, config):
        inputs = {k: tensor(v, v.get("requiresGrad", False)) for k, v in data.items()}
        return lambda: fn(**inputs)
    return build


for n in (256, 512, 1024, 2048):
    CASES[f"matmul/{n}"] = op_case(lambda a, b: a @ b)
CASES["linear-mm/fwd"] = op_case(lambda x, w: x @ w.T)
CASES["linear-mm/dx"] = op_case(lambda dy, w: dy @ w)
CASES["linear-mm/dw"] = op_case(lambda dy, x: dy.T @ x)
CASES["linear-mm/xt-dy"] = op_case(lambda x, dy: x.T @ dy)
CASES["linear-mm/xt-dy-copy"] = op_case(lambda x, dy: x.T.contiguous() @ dy)
CASES["elementwise/chain"] = op_case(lambda x, a, b, c: torch.tanh(torch.relu(x * a + b) * c))
CASES["reduce/sum0"] = op_case(lambda x: x.sum(0))
CASES["reduce/sum1"] = op_case(lambda x: x.sum(1))
CASES["reduce/max1"] = op_case(lambda x: x.amax(1))
CASES["cross-entropy/loss"] = op_case(lambda logits, labels: F.cross_entropy(logits, labels.long()))
CASES["cross-entropy/grad"] = op_case(lambda logits, labels: torch.autograd.grad(F.cross_entropy(logits, labels.long()), logits)[0])


@case("adam/1m")
def adam_step(data, config):
    params = [tensor(data[f"p{i}"], True) for i in range(4)]
    for i, p in enumerate(params):
        p.grad = tensor(data[f"g{i}"])
    optimizer = adam(params)

    def step():
        optimizer.step()
        return params[-1]
    return step, lambda: params


class MultiTask(nn.Module):
    """A trunk of Linear layers (each optionally followed by ReLU) and one Linear head per task."""

    def __init__(self, params, relus):
        super().__init__()
        layers = [linear(*params[2 * k:2 * k + 2]) for k in range(len(params) // 2)]
        self.trunk = nn.ModuleList(layers[:len(relus)])
        self.heads = nn.ModuleList(layers[len(relus):])
        self.relus = relus

    def features(self, x):
        for layer, relu in zip(self.trunk, self.relus):
            x = torch.relu(layer(x)) if relu else layer(x)
        return x

    def forward(self, x):
        h = self.features(x)
        return [head(h) for head in self.heads]


def multitask(data, config):
    """The net, x, and the target column block of each head."""
    model = MultiTask(data["params"], [t["relu"] for t in config["trunk"]])
    x = torch.from_numpy(data["x"]).reshape(config["batch"], -1)
    y = torch.from_numpy(data["y"]).reshape(config["batch"], -1)
    targets = [y[:, h["col"]:h["col"] + h["width"]] for h in config["heads"]]
    return model, x, targets


def losses(model, x, targets):
    return [F.mse_loss(out, target) for out, target in zip(model(x), targets)]


@case("train/multitask-article", "train/multitask-large", "train/oneshot", "mtl/step-EW")
def train_step(data, config):
    model, x, targets = multitask(data, config)
    optimizer = adam(model.parameters())

    def step():
        optimizer.zero_grad(set_to_none=True)
        total = sum(losses(model, x, targets))
        total.backward()
        optimizer.step()
        return total
    return step


def sum_squares(grads):
    return sum((g * g).sum() for g in grads)


@case("mtl/large-summed-backward")
def summed_backward(data, config):
    model, x, targets = multitask(data, config)
    trunk = list(model.trunk.parameters())
    return lambda: sum_squares(torch.autograd.grad(sum(losses(model, x, targets)), trunk)).reshape(1)


@case("mtl/large-jacobian-T8")
def jacobian(data, config):
    """The trunk Jacobian in one batched backward (autograd.grad with is_grads_batched: vmap over the
    rows of the identity)."""
    model, x, targets = multitask(data, config)
    trunk = list(model.trunk.parameters())

    def step():
        task_losses = torch.stack(losses(model, x, targets))
        rows = torch.autograd.grad(task_losses, trunk, torch.eye(len(targets)), is_grads_batched=True)
        return sum(j.reshape(len(targets), -1).square().sum(1) for j in rows)
    return step


@case("mtl/large-8-backward-passes")
def separate_backwards(data, config):
    model, x, targets = multitask(data, config)
    trunk = list(model.trunk.parameters())

    def step():
        task_losses = losses(model, x, targets)
        return torch.stack([sum_squares(torch.autograd.grad(l, trunk, retain_graph=t < len(task_losses) - 1))
                            for t, l in enumerate(task_losses)])
    return step


@case("mtl/step-PCGrad")
def pcgrad(data, config):
    """PCGrad by hand, as bench/suites/mtl.js's tfjs side: one backward per task, the trunk gradients
    projected pairwise in webgrad's seeded orders (config["orders"], cycled), heads keep their own."""
    model, x, targets = multitask(data, config)
    trunk = list(model.trunk.parameters())
    optimizer = adam(model.parameters())
    orders = config["orders"]
    calls = [0]

    def step():
        order = orders[calls[0] % len(orders)]
        calls[0] += 1
        optimizer.zero_grad(set_to_none=True)
        task_losses = losses(model, x, targets)
        g = []
        for t, (loss, head) in enumerate(zip(task_losses, model.heads)):
            grads = torch.autograd.grad(loss, trunk + list(head.parameters()), retain_graph=t < len(task_losses) - 1)
            g.append(torch.cat([v.reshape(-1) for v in grads[:len(trunk)]]))
            head.weight.grad, head.bias.grad = grads[len(trunk):]
        sq = [gj.dot(gj) for gj in g]
        direction = torch.zeros_like(g[0])
        for i, gi in enumerate(g):
            projected = gi
            for j in order[i]:
                if j != i:
                    projected = projected - torch.clamp(projected.dot(g[j]), max=0) / sq[j] * g[j]
            direction += projected
        offset = 0
        for p in trunk:
            p.grad = direction[offset:offset + p.numel()].view_as(p)
            offset += p.numel()
        optimizer.step()
        return sum(task_losses)
    return step


@case("conv/conv4-fwd-bwd", "conv/conv4-fwd")
def conv4(data, config):
    """Conv-4 in NCHW: 4 × [Conv2d 3×3 (padding 1) + BatchNorm2d (batch statistics) + ReLU + MaxPool2d 2]."""
    blocks = []
    for c in data["convs"]:
        out, inp = c["shape"][:2]
        conv = nn.Conv2d(inp, out, 3, padding=1)
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(c["weight"]).reshape(c["shape"]))
            conv.bias.copy_(torch.from_numpy(c["bias"]))
        blocks += [conv, nn.BatchNorm2d(out, eps=config["eps"]), nn.ReLU(), nn.MaxPool2d(2)]
    net = nn.Sequential(*blocks)
    x = torch.from_numpy(data["x"]).reshape(config["batch"], 1, config["size"], config["size"])
    first = blocks[0].weight
    if not config["backward"]:
        return lambda: net(x).detach()

    def step():
        net.zero_grad(set_to_none=True)
        net(x).square().mean().backward()
        return first.grad
    return step


@case("meta/maml-sinusoid-step", "meta/maml-sinusoid-5-inner-steps")
def maml(data, config):
    """Second-order MAML batched by hand: per-task weights [T, out, in] expanded from the meta-parameters,
    inner gradients by autograd.grad(create_graph=True), the query loss backward, Adam."""
    params = [tensor(p, True) for p in data["params"]]
    tasks, shots = config["tasks"], config["shots"]
    xs, ys, xq, yq = (torch.from_numpy(data[k]).reshape(tasks, shots, 1) for k in ("xs", "ys", "xq", "yq"))
    optimizer = adam(params)

    def forward(weights, x):
        for layer in range(3):
            x = torch.baddbmm(weights[2 * layer + 1].unsqueeze(1), x, weights[2 * layer].transpose(1, 2))
            if layer < 2:
                x = torch.relu(x)
        return x

    def step():
        optimizer.zero_grad(set_to_none=True)
        weights = [p.expand(tasks, *p.shape) for p in params]
        for _ in range(config["innerSteps"]):
            # Σ over tasks of each task's MSE: its gradient is each task's own.
            support = F.mse_loss(forward(weights, xs), ys) * tasks
            grads = torch.autograd.grad(support, weights, create_graph=True)
            weights = [w - config["alpha"] * g for w, g in zip(weights, grads)]
        loss = F.mse_loss(forward(weights, xq), yq)
        loss.backward()
        summary = torch.stack([loss.detach(), sum_squares(p.grad for p in params)])
        optimizer.step()
        return summary
    return step
