"""MMEngine's tutorials, run with only their imports changed.

The code of each tutorial is kept as MMEngine's documentation writes it
(model, metric, hook, scheduler and registry code); only the ``mmengine``
imports become ``runner_core`` imports. What the tutorials download
(CIFAR-10, MNIST, a torchvision ResNet-50) is replaced by tiny synthetic
tensors and a small network, so nothing is downloaded and each runs in a
second or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def _images(n: int, seed: int) -> TensorDataset:
    """Stands in for CIFAR-10: (3, 8, 8) images and 10 classes, learnable from the mean."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    imgs = torch.randn(n, 3, 8, 8, generator=g) * 0.1 + labels.view(-1, 1, 1, 1) * 0.3
    return TensorDataset(imgs, labels)


class _TinyNet(nn.Module):
    """Stands in for torchvision.models.resnet50()."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x).flatten(1))


# --- "15 minutes to get started with MMEngine" ---------------------------------------------
def test_fifteen_minutes_tutorial(tmp_path: Path) -> None:
    from runner_core.evaluator import BaseMetric  # mmengine.evaluator
    from runner_core.model import BaseModel  # mmengine.model
    from runner_core.runner import Runner  # mmengine.runner

    class MMResNet50(BaseModel):
        def __init__(self):
            super().__init__()
            self.resnet = _TinyNet()

        def forward(self, imgs, labels, mode):
            x = self.resnet(imgs)
            if mode == "loss":
                return {"loss": F.cross_entropy(x, labels)}
            elif mode == "predict":
                return x, labels

    class Accuracy(BaseMetric):
        def process(self, data_batch, data_samples):
            score, gt = data_samples
            self.results.append(
                {
                    "batch_size": len(gt),
                    "correct": (score.argmax(dim=1) == gt).sum().cpu(),
                }
            )

        def compute_metrics(self, results):
            total_correct = sum(item["correct"] for item in results)
            total_size = sum(item["batch_size"] for item in results)
            return dict(accuracy=100 * total_correct / total_size)

    train_dataloader = DataLoader(batch_size=32, shuffle=True, dataset=_images(256, 0))
    val_dataloader = DataLoader(batch_size=32, shuffle=False, dataset=_images(64, 1))

    from torch.optim import SGD

    runner = Runner(
        model=MMResNet50(),
        work_dir=str(tmp_path / "work_dir"),
        train_dataloader=train_dataloader,
        optim_wrapper=dict(optimizer=dict(type=SGD, lr=0.05, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=5, val_interval=1),
        val_dataloader=val_dataloader,
        val_cfg=dict(),
        val_evaluator=dict(type=Accuracy),
    )
    runner.train()
    metrics = runner.val()
    model = runner.model.eval()
    device = next(model.parameters()).device  # the runner put the model on its device
    with torch.no_grad():
        correct = sum(
            int((model.resnet(x.to(device)).argmax(1).cpu() == y).sum()) for x, y in val_dataloader
        )
    assert float(metrics["accuracy"]) == pytest.approx(100 * correct / 64)
    losses = runner.message_hub.get_scalar("train/loss").data()
    assert sum(losses[-8:]) < sum(losses[:8])  # it learned
    assert (tmp_path / "work_dir" / "epoch_5.pth").is_file()


# --- "Train a GAN" ----------------------------------------------------------------------------
def test_gan_tutorial(tmp_path: Path) -> None:
    from runner_core.dataset import BaseDataset  # mmengine.dataset
    from runner_core.model import BaseModel, ImgDataPreprocessor  # mmengine.model
    from runner_core.optim import OptimWrapper  # mmengine.optim
    from runner_core.runner import Runner  # mmengine.runner

    class Generator(nn.Module):
        def __init__(self, noise_size, img_shape):
            super().__init__()
            self.img_shape = img_shape
            self.noise_size = noise_size
            self.model = nn.Sequential(
                nn.Linear(noise_size, 32), nn.LeakyReLU(0.2), nn.Linear(32, 64), nn.Tanh()
            )

        def forward(self, z):
            img = self.model(z)
            return img.view(img.size(0), *self.img_shape)

    class Discriminator(nn.Module):
        def __init__(self, img_shape):
            super().__init__()
            self.model = nn.Sequential(
                nn.Linear(64, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Sigmoid()
            )

        def forward(self, img):
            return self.model(img.view(img.size(0), -1))

    class MNISTLike(BaseDataset):  # stands in for the tutorial's MNIST dataset
        def load_data_list(self):
            g = torch.Generator().manual_seed(0)
            return [dict(inputs=torch.rand(1, 8, 8, generator=g)) for _ in range(64)]

    class GAN(BaseModel):
        def __init__(self, generator, discriminator, noise_size, data_preprocessor):
            super().__init__(data_preprocessor=data_preprocessor)
            assert generator.noise_size == noise_size
            self.generator = generator
            self.discriminator = discriminator
            self.noise_size = noise_size

        def train_step(self, data, optim_wrapper):
            inputs_dict = self.data_preprocessor(data, True)
            disc_optimizer_wrapper: OptimWrapper = optim_wrapper["discriminator"]
            with disc_optimizer_wrapper.optim_context(self.discriminator):
                log_vars = self.train_discriminator(inputs_dict, disc_optimizer_wrapper)
            set_requires_grad(self.discriminator, False)
            gen_optimizer_wrapper: OptimWrapper = optim_wrapper["generator"]
            with gen_optimizer_wrapper.optim_context(self.generator):
                log_vars_gen = self.train_generator(inputs_dict, gen_optimizer_wrapper)
            set_requires_grad(self.discriminator, True)
            log_vars.update(log_vars_gen)
            return log_vars

        def forward(self, batch_inputs, data_samples=None, mode=None):
            return self.generator(batch_inputs)

        def disc_loss(self, disc_pred_fake, disc_pred_real):
            losses_dict = dict()
            losses_dict["loss_disc_fake"] = F.binary_cross_entropy(
                disc_pred_fake, 0.0 * torch.ones_like(disc_pred_fake)
            )
            losses_dict["loss_disc_real"] = F.binary_cross_entropy(
                disc_pred_real, 1.0 * torch.ones_like(disc_pred_real)
            )
            loss, log_var = self.parse_losses(losses_dict)
            return loss, log_var

        def gen_loss(self, disc_pred_fake):
            losses_dict = dict()
            losses_dict["loss_gen"] = F.binary_cross_entropy(
                disc_pred_fake, 1.0 * torch.ones_like(disc_pred_fake)
            )
            loss, log_var = self.parse_losses(losses_dict)
            return loss, log_var

        def train_discriminator(self, inputs, optimizer_wrapper):
            real_imgs = inputs["inputs"]
            z = torch.randn((real_imgs.shape[0], self.noise_size)).type_as(real_imgs)
            with torch.no_grad():
                fake_imgs = self.generator(z)
            disc_pred_fake = self.discriminator(fake_imgs)
            disc_pred_real = self.discriminator(real_imgs)
            parsed_losses, log_vars = self.disc_loss(disc_pred_fake, disc_pred_real)
            optimizer_wrapper.update_params(parsed_losses)
            return log_vars

        def train_generator(self, inputs, optimizer_wrapper):
            real_imgs = inputs["inputs"]
            z = torch.randn(real_imgs.shape[0], self.noise_size).type_as(real_imgs)
            fake_imgs = self.generator(z)
            disc_pred_fake = self.discriminator(fake_imgs)
            parsed_loss, log_vars = self.gen_loss(disc_pred_fake)
            optimizer_wrapper.update_params(parsed_loss)
            return log_vars

    def set_requires_grad(nets, requires_grad=False):
        if not isinstance(nets, list):
            nets = [nets]
        for net in nets:
            if net is not None:
                for param in net.parameters():
                    param.requires_grad = requires_grad

    train_dataloader = dict(
        batch_size=32,
        num_workers=0,
        sampler=dict(type="DefaultSampler", shuffle=True),
        dataset=MNISTLike(),
    )
    data_preprocessor = ImgDataPreprocessor(mean=[0.5], std=[0.5])
    generator = Generator(100, (1, 8, 8))
    discriminator = Discriminator((1, 8, 8))
    model = GAN(generator, discriminator, 100, data_preprocessor)
    opt_g = dict(optimizer=dict(type="Adam", lr=0.0001, betas=(0.5, 0.999)))
    opt_d = dict(optimizer=dict(type="Adam", lr=0.0001, betas=(0.5, 0.999)))
    optim_wrapper = dict(generator=opt_g, discriminator=opt_d)

    before = [p.detach().clone() for p in generator.parameters()]
    runner = Runner(
        model=model,
        work_dir=str(tmp_path / "runs" / "gan"),
        train_dataloader=train_dataloader,
        optim_wrapper=optim_wrapper,
        train_cfg=dict(by_epoch=True, max_epochs=2),
    )
    runner.train()
    hub = runner.message_hub
    assert {"train/loss_gen", "train/loss_disc_fake", "train/loss_disc_real"} <= set(hub)
    assert any(not torch.equal(a, b.cpu()) for a, b in zip(before, generator.parameters()))


# --- Hook tutorial --------------------------------------------------------------------------
def test_hook_tutorial_custom_hook(tmp_path: Path) -> None:
    from runner_core.hooks import Hook  # mmengine.hooks
    from runner_core.model import BaseModel  # mmengine.model
    from runner_core.registry import HOOKS  # mmengine.registry
    from runner_core.runner import Runner  # mmengine.runner

    @HOOKS.register_module(force=True)
    class CheckInvalidLossHookForCompat(Hook):
        """Check invalid loss hook (the hook tutorial's example)."""

        def __init__(self, interval=50):
            self.interval = interval

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if self.every_n_train_iters(runner, self.interval):
                assert torch.isfinite(outputs["loss"]), runner.logger.info(
                    "loss become infinite or NaN!"
                )
                seen.append(runner.iter)

    class ToyModel(BaseModel):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, inputs, labels, mode="tensor"):
            out = self.linear(inputs)
            if mode == "loss":
                return {"loss": (labels - out).abs().mean()}
            return out

    seen: list[int] = []
    dataset = [(torch.ones(2), torch.ones(1))] * 8
    runner = Runner(
        model=ToyModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=dataset, sampler=dict(type="DefaultSampler", shuffle=True), batch_size=1
        ),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        custom_hooks=[dict(type="CheckInvalidLossHookForCompat", interval=5)],
    )
    runner.train()
    assert seen == [4, 9, 14]  # runner.iter before the counter moves: iterations 5, 10, 15


# --- Optimizer wrapper tutorial ----------------------------------------------------------------
def test_optim_wrapper_tutorial() -> None:
    from runner_core.optim import OptimWrapper  # mmengine.optim

    torch.manual_seed(0)
    inputs = [torch.zeros(10, 1, 1)] * 10
    targets = [torch.ones(10, 1, 1)] * 10
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    optim_wrapper = OptimWrapper(optimizer=optimizer, accumulative_counts=2)
    optim_wrapper.initialize_count_status(model, 0, len(inputs))
    bias = model.bias.item()
    for input, target in zip(inputs, targets):
        with optim_wrapper.optim_context(model):
            output = model(input)
            loss = F.l1_loss(output, target)
        optim_wrapper.update_params(loss)
    assert optim_wrapper.get_lr() == {"lr": [0.01]}
    state = optim_wrapper.state_dict()
    optim_wrapper.load_state_dict(state)
    # d|bias - 1|/d bias = -1; halved per iteration, summed over 2: 5 steps of lr * 1
    assert model.bias.item() == pytest.approx(bias + 5 * 0.01)
    assert optim_wrapper.inner_count == 10


# --- Parameter scheduler tutorial --------------------------------------------------------------
def test_param_scheduler_tutorial() -> None:
    from runner_core.optim.scheduler import ExponentialLR, LinearLR  # mmengine.optim.scheduler

    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    warmup = LinearLR(optimizer, start_factor=0.1, by_epoch=False, begin=0, end=5)
    decay = ExponentialLR(optimizer, gamma=0.5, begin=5, end=8, by_epoch=False)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(8):
        optimizer.step()
        warmup.step()
        decay.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs[0] == pytest.approx(0.001)
    assert lrs[4] == pytest.approx(0.01)  # warm-up reaches lr at step end - 1
    assert lrs[5:8] == pytest.approx([0.01, 0.005, 0.0025])


def test_param_scheduler_tutorial_config_form(tmp_path: Path) -> None:
    from runner_core.runner import Runner  # mmengine.runner

    param_scheduler = [
        dict(type="LinearLR", start_factor=0.001, by_epoch=False, begin=0, end=4),
        dict(type="MultiStepLR", by_epoch=True, milestones=[1], gamma=0.1),
    ]
    runner = Runner(
        model=nn.Linear(2, 2),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=TensorDataset(torch.randn(16, 2), torch.randint(0, 2, (16,))), batch_size=4
        ),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        param_scheduler=param_scheduler,
    )
    runner.train()
    assert runner.optim_wrapper.get_lr()["lr"][0] == pytest.approx(0.01)


# --- Evaluation tutorial -----------------------------------------------------------------------
def test_evaluation_tutorial_offline() -> None:
    from runner_core.evaluator import BaseMetric, Evaluator  # mmengine.evaluator
    from runner_core.registry import METRICS  # mmengine.registry

    @METRICS.register_module(force=True)
    class SimpleAccuracyForCompat(BaseMetric):
        default_prefix = "ACC"

        def process(self, data_batch, data_samples):
            for sample in data_samples:
                self.results.append(dict(correct=int(sample["pred"] == sample["gt"])))

        def compute_metrics(self, results):
            return dict(accuracy=sum(r["correct"] for r in results) / len(results))

    evaluator = Evaluator(metrics=dict(type="SimpleAccuracyForCompat"))
    data = [dict(pred=i % 3, gt=i % 2) for i in range(6)]
    for start in range(0, 6, 2):
        evaluator.process(data_samples=data[start : start + 2], data_batch=None)
    metrics = evaluator.evaluate(size=6)
    assert metrics == {"ACC/accuracy": pytest.approx(2 / 6)}
    assert evaluator.offline_evaluate(data, chunk_size=4) == metrics


# --- Registry tutorial -------------------------------------------------------------------------
def test_registry_tutorial() -> None:
    from runner_core.registry import MODELS, Registry  # mmengine.registry

    ACTIVATION = Registry("activation", scope="compat_tutorial")

    @ACTIVATION.register_module()
    class Sigmoid(nn.Module):
        def forward(self, x):
            return torch.sigmoid(x)

    @ACTIVATION.register_module()
    class ReLU(nn.Module):
        def __init__(self, inplace=False):
            super().__init__()

        def forward(self, x):
            return torch.relu(x)

    act_cfg = dict(type="ReLU", inplace=True)
    activation = ACTIVATION.build(act_cfg)
    assert torch.equal(activation(torch.tensor([-1.0, 1.0])), torch.tensor([0.0, 1.0]))
    assert sorted(ACTIVATION.module_dict) == ["ReLU", "Sigmoid"]

    # a child registry of the root MODELS, as a downstream library declares it
    CHILD_MODELS = Registry("model", parent=MODELS, scope="compat_tutorial_child")
    try:

        @CHILD_MODELS.register_module()
        class NetForCompat(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

        assert isinstance(
            MODELS.build(dict(type="compat_tutorial_child.NetForCompat")), NetForCompat
        )
        assert isinstance(
            CHILD_MODELS.build(dict(type="Linear", in_features=1, out_features=1)), nn.Linear
        )

        def build_func(cfg, registry, default_args=None):
            return ("built by build_func", cfg["type"])

        FUNCS = Registry("func thing", build_func=build_func, scope="compat_tutorial_funcs")
        assert FUNCS.build(dict(type="Anything")) == ("built by build_func", "Anything")
    finally:
        MODELS.children.pop("compat_tutorial_child", None)
