#!/usr/bin/env python3
"""Continues a webgpu-bert masked-LM checkpoint in plain PyTorch (scripts/interop-torch.ts drives it).

A BertForMaskedLM written from transformers' modeling_bert semantics, functionally over the
checkpoint's own tensor names (no transformers package): embeddings + LayerNorm, post-LN encoder
layers with the additive padding mask (1 - mask) * finfo.min, exact (erf) GELU, the MLM head's
transform and the decoder tied to the word embeddings, logits at the masked positions only, and
the weighted cross-entropy the library uses. Its own safetensors reader and writer.

  interop_torch.py CHECKPOINT_DIR BATCHES.safetensors FIRST_STEP STEPS OUT_DIR RESULT.json
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64}


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=DTYPES[info['dtype']]).reshape(info['shape'])
        out[name] = torch.from_numpy(array.copy())
    return out


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = {np.dtype(np.float32): 'F32', np.dtype(np.int32): 'I32'}[a.dtype]
        b = a.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    tmp = f'{path}.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def mlm_logits(p, c, ids, mask, types, positions):
    """transformers' BertForMaskedLM forward, at `positions` (B, P) only."""
    B, S = ids.shape
    H, nh = c['hidden_size'], c['num_attention_heads']
    d = H // nh
    eps = c['layer_norm_eps']
    ln = lambda x, name: F.layer_norm(x, (H,), p[f'{name}.weight'], p[f'{name}.bias'], eps)
    lin = lambda x, name: F.linear(x, p[f'{name}.weight'], p[f'{name}.bias'])
    e = 'bert.embeddings'
    x = p[f'{e}.word_embeddings.weight'][ids] + p[f'{e}.position_embeddings.weight'][:S][None] + p[f'{e}.token_type_embeddings.weight'][types]
    x = ln(x, f'{e}.LayerNorm')
    additive = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
    heads = lambda t: t.view(B, S, nh, d).transpose(1, 2)
    for i in range(c['num_hidden_layers']):
        l = f'bert.encoder.layer.{i}'
        q, k, v = (heads(lin(x, f'{l}.attention.self.{n}')) for n in ('query', 'key', 'value'))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + additive, dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(B, S, H)
        a = ln(lin(ctx, f'{l}.attention.output.dense') + x, f'{l}.attention.output.LayerNorm')
        x = ln(lin(F.gelu(lin(a, f'{l}.intermediate.dense')), f'{l}.output.dense') + a, f'{l}.output.LayerNorm')
    rows = x[torch.arange(B)[:, None], positions]
    h = ln(F.gelu(lin(rows, 'cls.predictions.transform.dense')), 'cls.predictions.transform.LayerNorm')
    return h @ p['bert.embeddings.word_embeddings.weight'].T + p['cls.predictions.bias']


def main():
    ckpt, batches_path, first, steps, out_dir, result_path = sys.argv[1:7]
    first, steps = int(first), int(steps)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with open(os.path.join(ckpt, 'config.json')) as f:
        config = json.load(f)
    weights = read_safetensors(os.path.join(ckpt, 'model.safetensors'))
    # A tied decoder weight, if present, is the word embeddings (transformers stores one of them).
    weights.pop('cls.predictions.decoder.weight', None)
    weights.pop('cls.predictions.decoder.bias', None)
    params = {n: torch.nn.Parameter(t.to(torch.float32)) for n, t in weights.items()}
    b = read_safetensors(batches_path)
    train = json.loads(open(os.path.join(os.path.dirname(batches_path), 'train.json')).read())

    def batch(i):
        return (b['input_ids'][i].long(), b['attention_mask'][i], b['token_type_ids'][i].long(), b['mask_positions'][i].long())

    def loss_of(i):
        logits = mlm_logits(params, config, *batch(i))
        V = logits.shape[-1]
        ce = F.cross_entropy(logits.reshape(-1, V), b['labels'][i].reshape(-1).long(), reduction='none')
        w = b['label_weights'][i].reshape(-1)
        return (ce * w).sum() / w.sum()

    with torch.no_grad():
        probe_before = mlm_logits(params, config, *batch(0))

    # BERT's grouping, as the library's AdamW: no decay for biases and LayerNorm parameters.
    decay = [p for n, p in params.items() if not (n.endswith('bias') or 'LayerNorm' in n)]
    no_decay = [p for n, p in params.items() if n.endswith('bias') or 'LayerNorm' in n]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': train['weightDecay']}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=train['lr'], betas=(0.9, 0.999), eps=train['eps'])
    # The library's AdamW state (optimizer.safetensors: moments and per-parameter step counts), when
    # the checkpoint has it, so the run continues instead of restarting Adam's statistics.
    moments_path = os.path.join(ckpt, 'optimizer.safetensors')
    resumed = os.path.exists(moments_path)
    if resumed:
        with open(moments_path, 'rb') as f:
            head = f.read(8)
            meta = json.loads(f.read(struct.unpack('<Q', head)[0]))['__metadata__']
        steps_of = json.loads(meta['param_steps'])
        moments = read_safetensors(moments_path)
        for name, p in params.items():
            if name in steps_of:
                opt.state[p] = {'step': torch.tensor(float(steps_of[name])), 'exp_avg': moments[f'{name}.exp_avg'].clone(), 'exp_avg_sq': moments[f'{name}.exp_avg_sq'].clone()}
    losses = []
    for step in range(first, first + steps):
        opt.zero_grad()
        loss = loss_of(step)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in params.values() if p.grad is not None], train['maxGradNorm'])
        opt.step()
        losses.append(loss.item())

    with torch.no_grad():
        probe_after = mlm_logits(params, config, *batch(0))
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, 'model.safetensors'), {n: p for n, p in params.items()}, {'format': 'pt'})
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2, sort_keys=True)
    write_safetensors(os.path.join(out_dir, 'probe.safetensors'), {'before': probe_before, 'after': probe_after}, {})
    with open(result_path, 'w') as f:
        json.dump({'losses': losses, 'torch': torch.__version__, 'resumedOptimizer': resumed}, f)
    print(f'torch {torch.__version__}: {steps} steps, loss {losses[0]:.4f} -> {losses[-1]:.4f}')


if __name__ == '__main__':
    main()
