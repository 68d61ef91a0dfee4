"""Writing one message: retrieve the evidence, render the prompt template, ask the model, check the
answer, repair it."""
