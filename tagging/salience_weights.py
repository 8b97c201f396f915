"""The topic salience model trained by bench/train_salience.py from the shared labelled sets. Generated:
re-run `python bench/train_salience.py ... --write` rather than editing it."""

MODEL = {
    "weights": {'title': 1.1569, 'lead': 0.8441, 'sentences': 1.4744, 'share': 0.4472, 'passing': -2.1277, 'field_title': 0.3891, 'paragraph': 0.6437},
    "biases": {'layoffs': 0.8054, 'llm': -0.0526},
    "default_bias": 0.3764,
}
