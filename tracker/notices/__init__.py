"""Reading conclusion notices: text in, proposed tasks out."""
