"""The topic salience model trained by bench/train_salience.py from the shared labelled sets. Generated:
re-run `python bench/train_salience.py ... --write` rather than editing it."""

MODEL = {
    "weights": {'title': 1.118, 'lead': 0.7658, 'sentences': 1.6794, 'share': 0.4263, 'passing': -2.003, 'field_title': 0.4959, 'paragraph': 0.5887},
    "biases": {'layoffs': 0.6327, 'llm': -0.1798},
    "default_bias": 0.2264,
}
