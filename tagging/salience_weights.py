"""The topic salience model trained by bench/train_salience.py from the shared labelled sets. Generated:
re-run `python bench/train_salience.py ... --write` rather than editing it."""

MODEL = {
    "weights": {'title': 1.1015, 'lead': 0.9559, 'sentences': 1.1516, 'share': 0.3981, 'passing': -1.4245, 'field': 0.7, 'field_title': 0.6681, 'paragraph': 0.6794, 'focus': 0.7946},
    "biases": {'layoffs': 0.0409, 'llm': -0.9438},
    "default_bias": -0.4515,
}
