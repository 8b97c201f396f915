"""The topic salience model trained by bench/train_salience.py from the shared labelled sets. Generated:
re-run `python bench/train_salience.py ... --write` rather than editing it."""

MODEL = {
    "weights": {'title': 1.0557, 'lead': 0.8299, 'sentences': 1.2816, 'share': 0.3855, 'passing': -1.9479, 'field_title': 0.481, 'paragraph': 0.5876},
    "biases": {'layoffs': 0.8062, 'llm': 0.1093},
    "default_bias": 0.4577,
}
