"""The topic salience model trained by bench/train_salience.py from the shared labelled sets. Generated:
re-run `python bench/train_salience.py ... --write` rather than editing it."""

MODEL = {
    "weights": {'title': 1.0374, 'lead': 0.7561, 'sentences': 1.5799, 'share': 0.4183, 'passing': -1.7267, 'field_title': 0.5977, 'paragraph': 0.6155},
    "biases": {'layoffs': 0.5205, 'llm': -0.1402},
    "default_bias": 0.1901,
}
