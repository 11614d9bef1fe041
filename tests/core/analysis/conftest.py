"""Small models for the complexity-analysis tests.

The same models ran through MMEngine 0.10.7's ``mmengine.analysis`` (its jit
trace) to produce the numbers the tests pin; the script that compares the two
is kept with the QA notes of this change (compare.py, dump_*.py).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(32, 64)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.act(self.fc1(x))))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNetLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)
        )
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = BasicBlock(16, 16)
        self.layer2 = BasicBlock(16, 32, stride=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.stem(x))
        x = self.layer2(self.layer1(x))
        return self.head(torch.flatten(self.gap(x), 1))


class MHABlock(nn.Module):
    """Pre-norm transformer block with nn.MultiheadAttention."""

    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h)[0]
        return x + self.mlp(self.norm2(x))


class Attention(nn.Module):
    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class ViTBlock(nn.Module):
    """Pre-norm block with Linear + matmul attention (timm/mmpretrain style)."""

    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class UpNet(nn.Module):
    """nn.Upsample, F.interpolate (bilinear), GroupNorm and InstanceNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.GroupNorm(2, 8), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.dec = nn.Conv2d(8, 4, 3, 1, 1)
        self.norm = nn.InstanceNorm2d(4, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dec(self.up(self.enc(x))))
        return F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)


class MiscOps(nn.Module):
    """Transposed/grouped/1-d convolutions, einsum, bmm, matmul, scaled dot-product attention,
    a module called twice, one never called and an nn.Identity."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_t = nn.ConvTranspose2d(4, 4, 2, 2)
        self.gconv = nn.Conv2d(4, 8, 3, padding=1, groups=2)
        self.conv1d = nn.Conv1d(4, 4, 3)
        self.bn_noaffine = nn.BatchNorm2d(8, affine=False)
        self.inorm = nn.InstanceNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d((2, 3))
        self.used_twice = nn.Linear(6, 6)
        self.unused = nn.Linear(3, 3)
        self.ident = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.gconv(self.conv_t(x))
        y = self.inorm(self.bn_noaffine(y))
        p = self.ident(self.pool(y))
        p = self.used_twice(self.used_twice(p.flatten(2)))
        e = torch.einsum("bij,bkj->bik", p, p)
        m = torch.bmm(e, p)
        z = torch.matmul(p, p.transpose(1, 2))
        s = F.scaled_dot_product_attention(p, p, p)
        c = self.conv1d(p[:, :4])
        return e.sum() + m.sum() + z.sum() + s.sum() + c.sum() + torch.sigmoid(y).mean()


class Shared(nn.Module):
    """``a`` is also ``inner.0``."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.inner = nn.Sequential(self.a, nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self.a(x))


class ConvNeXtBlock(nn.Module):
    """Depthwise conv, channels-last LayerNorm, pointwise Linear layers, layer scale."""

    def __init__(self, dim: int = 16) -> None:
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw2(self.act(self.pw1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


class TorchEncoder(nn.Module):
    """torch's own nn.TransformerEncoder (its attention calls scaled_dot_product_attention)."""

    def __init__(self) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.enc(x)


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(6, 8)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.a(x) + self.b(y)


def make_case(name: str) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The model and inputs MMEngine analyzed under ``name``."""
    torch.manual_seed(0)
    cases = {
        "mlp": lambda: (MLP().eval(), (torch.randn(4, 32),)),
        "resnet": lambda: (ResNetLike().eval(), (torch.randn(2, 3, 32, 32),)),
        "resnet_train": lambda: (ResNetLike().train(), (torch.randn(2, 3, 32, 32),)),
        "mha_block": lambda: (MHABlock().eval(), (torch.randn(2, 8, 32),)),
        "vit_block": lambda: (ViTBlock().eval(), (torch.randn(2, 8, 32),)),
        "upnet": lambda: (UpNet().eval(), (torch.randn(1, 3, 16, 16),)),
        "misc": lambda: (MiscOps().eval(), (torch.randn(2, 4, 5, 5),)),
        "shared": lambda: (Shared().eval(), (torch.randn(3, 8),)),
        "convnext": lambda: (ConvNeXtBlock().eval(), (torch.randn(2, 16, 8, 8),)),
        "torch_encoder": lambda: (TorchEncoder().eval(), (torch.randn(2, 6, 32),)),
    }
    return cases[name]()


@pytest.fixture
def warnings_logged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages the analysis logs (through runner_core.logging.print_log)."""
    import runner_core.logging

    messages: list[str] = []
    monkeypatch.setattr(
        runner_core.logging, "print_log", lambda msg, logger=None, level=0: messages.append(msg)
    )
    return messages
