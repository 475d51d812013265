// Metric-based few-shot learners: an embedding net, and a rule that scores each query against the
// episode's support set. Each returns [Q, ways] scores that crossEntropy turns into the episode loss
// and argmax into predictions. A class with no support example scores −∞ (ProtoNet: NaN).
//   ProtoNet (Snell et al. 2017): −‖f(q) − cₖ‖², cₖ the mean support embedding of class k.
//   MatchingNet (Vinyals et al. 2016, without full-context embeddings): log Σ_{i ∈ k} aᵢ,
//     a = softmax over the support of scale · cos(f(q), f(sᵢ)).
//   SiameseNet (Koch et al. 2015; Hadsell et al. 2006's contrastive loss): trained on pairs;
//     classifies a query by its nearest support example, −min_{i ∈ k} ‖f(q) − f(sᵢ)‖.
import { checkTensor, numberOption } from '../check.js';
import { tidy } from '../memory.js';
import { contrastiveLoss, type MarginOptions } from '../nn/losses.js';
import { Module } from '../nn/module.js';
import { amin, cdist, logsumexp, matmul, norm, normalize, oneHot } from '../ops/index.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkModule } from './maml.js';

type Embedding = Module & { forward(x: Tensor): Tensor };

/** An embedding net, and the checks every episode passes. */
abstract class MetricLearner extends Module {
  readonly embedding: Embedding;

  constructor(embedding: Embedding) {
    super();
    this.embedding = checkModule(new.target.name, embedding, 'embedding net') as Embedding;
  }

  /** The embedding of a batch, flattened to [N, D]. */
  embed(x: Tensor): Tensor {
    const e = this.embedding.forward(x);
    return e.ndim === 2 ? e : e.flatten(1);
  }

  /** [Q, ways] scores of each query for each class; supportLabels [S] are class indices 0 … ways − 1. */
  forward(support: Tensor, supportLabels: Tensor, query: Tensor, ways: number): Tensor {
    const op = `${this.constructor.name}.forward`;
    checkTensor(op, 'support', support);
    checkTensor(op, 'query', query);
    checkTensor(op, 'supportLabels', supportLabels);
    numberOption(op, 'ways', ways, 1, { integer: true });
    if (supportLabels.ndim !== 1 || supportLabels.shape[0] !== support.shape[0]) {
      throw new Error(`${op}: supportLabels ${formatShape(supportLabels.shape)} must be [${support.shape[0]}], one class index per support example ${formatShape(support.shape)}`);
    }
    if (support.shape.slice(1).join() !== query.shape.slice(1).join()) {
      throw new Error(`${op}: support ${formatShape(support.shape)} and query ${formatShape(query.shape)} must have the same example shape`);
    }
    return tidy(() => this.score(this.embed(support), oneHot(supportLabels, ways), this.embed(query)));
  }

  /** Scores [Q, W] from support embeddings [S, D], their one-hot classes [S, W] and query embeddings [Q, D]. */
  protected abstract score(support: Tensor, classes: Tensor, query: Tensor): Tensor;
}

export class ProtoNet extends MetricLearner {
  /** The class prototypes [W, D]: the mean support embedding of each class. */
  prototypes(support: Tensor, classes: Tensor): Tensor {
    return matmul(classes.transpose(0, 1), support).div(classes.sum(0).unsqueeze(1));
  }

  protected score(support: Tensor, classes: Tensor, query: Tensor): Tensor {
    return cdist(query, this.prototypes(support, classes)).square().neg();
  }
}

export class MatchingNet extends MetricLearner {
  readonly scale: number;

  /** `scale` multiplies the cosine similarities before the softmax (default 1, the paper's). */
  constructor(embedding: Embedding, options: { scale?: number } = {}) {
    super(embedding);
    this.scale = numberOption('MatchingNet', 'scale', options.scale ?? 1, 0, { open: true });
  }

  protected score(support: Tensor, classes: Tensor, query: Tensor): Tensor {
    const similarity = matmul(normalize(query, { dim: -1 }), normalize(support, { dim: -1 }).transpose(0, 1)).mul(this.scale); // [Q, S]
    // log Σ_{i ∈ k} softmax(similarity)ᵢ, as a masked logsumexp: log of the one-hot is 0 in class k, −∞ out of it.
    return logsumexp(similarity.unsqueeze(2).add(classes.log().unsqueeze(0)), 1).sub(logsumexp(similarity, 1, true));
  }
}

export class SiameseNet extends MetricLearner {
  /** ‖f(x1) − f(x2)‖ for each pair [N]. */
  distance(x1: Tensor, x2: Tensor): Tensor {
    return tidy(() => norm(this.embed(x1).sub(this.embed(x2)), 2, -1));
  }

  /** The contrastive loss of pairs (label 0: same class, 1: different), on their embeddings. */
  loss(x1: Tensor, x2: Tensor, label: Tensor, options?: MarginOptions): Tensor {
    return tidy(() => contrastiveLoss(this.embed(x1), this.embed(x2), label, options));
  }

  protected score(support: Tensor, classes: Tensor, query: Tensor): Tensor {
    // min over the class's examples: adding −log(one-hot) puts +∞ on the others.
    return amin(cdist(query, support).unsqueeze(2).sub(classes.log().unsqueeze(0)), 1).neg();
  }
}
