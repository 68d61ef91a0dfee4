"""The language model: the two backends behind one seam (in-process llama.cpp in a worker process,
or an OpenAI-compatible server), the worker itself, the model's licence, and `doctor`."""
