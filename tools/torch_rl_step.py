"""The PyTorch side of `npm run bench:anchor`: rlflow's default model (docs/architecture.md,
"Default model"; libs/policy/src/model.ts) written the plain way a PyTorch user would, doing the
work of `rlflow bench --workload rl-step` (tools/src/bench-rl-step.ts):

  - generation: 16 prompts x G = 8 = 128 rows (each prompt's image and 48 prompt tokens
    repeated for its 8 rows), prefix = 16 image tokens + 48 prompt tokens, exactly 32 new
    tokens sampled at temperature 1 with a KV cache, no early stop
  - training step: teacher-forced forward + backward over the same 128 x (16 + 48 + 32) tokens,
    PPO-clip token-mean loss on the response (eps 0.2 / 0.28, old log-probs = log-probs - 0.01,
    one standard-normal advantage per row), grad-norm clip 1.0, AdamW (lr 1e-4, wd 0.01)

rlStepSeconds = generation + training step; each is the median of `--repeats` timed steps after
one untimed. Prints one JSON line with the figures under the bench's names.
Run: python3 tools/torch_rl_step.py [--threads N] [--repeats N]   (PyTorch is never a dependency
of rlflow: install it to measure, e.g. Debian's python3-torch.)
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

# rlflow's defaultPolicyConfig: d 128, 4 decoder layers, 4 heads, MLP 4x, 1 encoder layer,
# 32x32 image, patch 8, 86-token character vocabulary, prompt 48, response 32.
D, L, H, MLP, ENC_L = 128, 4, 4, 4, 1
V = 86
IMG, PATCH = 32, 8
N_IMG = (IMG // PATCH) ** 2
P_LEN, R_LEN = 48, 32
PROMPTS, G = 16, 8
B = PROMPTS * G
IMAGE_ID, PAD_ID = 2, 0
T_ALL = N_IMG + P_LEN + R_LEN


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Block(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(D), RMSNorm(D)
        self.qkv, self.out = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.up, self.down = nn.Linear(D, MLP * D), nn.Linear(MLP * D, D)
        self.causal = causal

    def attn(self, x, cache=None):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, H, D // H).permute(2, 0, 3, 1, 4)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], 2)
                v = torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        s = q @ k.transpose(-1, -2) / math.sqrt(D // H)
        if self.causal and t > 1:
            tk = k.shape[2]
            mask = torch.ones(t, tk, dtype=torch.bool).tril(tk - t)
            s = s.masked_fill(~mask, float("-inf"))
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, D)
        return self.out(o)

    def forward(self, x, cache=None):
        x = x + self.attn(self.norm1(x), cache)
        return x + self.down(F.relu(self.up(self.norm2(x))))


class VLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Linear(3 * PATCH * PATCH, D)
        self.img_pos = nn.Parameter(torch.randn(N_IMG, D) * 0.02)
        self.enc = nn.ModuleList([Block(False) for _ in range(ENC_L)])
        self.enc_norm = RMSNorm(D)
        self.proj = nn.Linear(D, D)
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Embedding(T_ALL, D)
        self.dec = nn.ModuleList([Block(True) for _ in range(L)])
        self.norm = RMSNorm(D)
        self.head = nn.Linear(D, V, bias=False)
        never = torch.zeros(V)
        never[[PAD_ID, IMAGE_ID]] = -1e9
        self.register_buffer("never", never)

    def image_prefix(self, img):
        p = img.unfold(2, PATCH, PATCH).unfold(3, PATCH, PATCH)
        p = p.permute(0, 2, 3, 1, 4, 5).reshape(img.shape[0], N_IMG, -1)
        x = self.patch(p) + self.img_pos
        for blk in self.enc:
            x = blk(x)
        return self.proj(self.enc_norm(x)) + self.tok.weight[IMAGE_ID]

    def forward(self, img, ids, caches=None, offset=0):
        parts = []
        if img is not None:
            parts.append(self.image_prefix(img))
        parts.append(self.tok(ids))
        x = torch.cat(parts, 1)
        x = x + self.pos.weight[offset:offset + x.shape[1]]
        for i, blk in enumerate(self.dec):
            x = blk(x, None if caches is None else caches[i])
        return self.head(self.norm(x)) + self.never


model = VLM()
img = torch.rand(PROMPTS, 3, IMG, IMG).repeat_interleave(G, 0)
prompt = torch.randint(7, V, (PROMPTS, P_LEN)).repeat_interleave(G, 0)


@torch.no_grad()
def generate():
    out = []
    caches = [dict() for _ in range(L)]
    logits = model(img, prompt, caches)
    off = N_IMG + P_LEN
    for t in range(R_LEN):
        nxt = torch.multinomial(logits[:, -1].softmax(-1), 1)
        out.append(nxt)
        if t < R_LEN - 1:
            logits = model(None, nxt, caches, off + t)
    return torch.cat(out, 1)


opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)


def train_step(resp):
    ids = torch.cat([prompt, resp], 1)
    logits = model(img, ids)[:, N_IMG + P_LEN - 1:-1]
    logp = torch.log_softmax(logits, -1).gather(-1, resp.unsqueeze(-1)).squeeze(-1)
    old = logp.detach() - 0.01
    adv = torch.randn(B, 1).expand(B, R_LEN)
    ratio = torch.exp(logp - old)
    loss = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.28)).mean()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def seconds(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def spread(xs):
    s = sorted(xs)
    return {"median": s[len(s) // 2], "min": s[0], "max": s[-1]}


resp = generate()
train_step(resp)
gen_times, train_times = [], []
for _ in range(args.repeats):
    t_gen, resp = seconds(generate)
    t_train, _ = seconds(lambda: train_step(resp))
    gen_times.append(t_gen)
    train_times.append(t_train)
a = torch.randn(1024, 1024)
b = torch.randn(1024, 1024)
a @ b
mm = sorted(seconds(lambda: a @ b)[0] for _ in range(5))[2]
gen, train = spread(gen_times), spread(train_times)
rl = spread([g + t for g, t in zip(gen_times, train_times)])
print(json.dumps({
    "engine": "pytorch",
    "torch": torch.__version__,
    "threads": args.threads,
    "repeats": args.repeats,
    "params": sum(p.numel() for p in model.parameters()),
    "rlStepSeconds": rl["median"],
    "rlStepSecondsRange": rl,
    "generationSeconds": gen,
    "trainSeconds": train,
    "generationTokensPerSecond": B * R_LEN / gen["median"],
    "trainTokensPerSecond": B * T_ALL / train["median"],
    "matmulGflops": 2 * 1024 ** 3 / mm / 1e9,
}))
