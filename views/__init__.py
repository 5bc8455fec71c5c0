"""Views: a decision's data rendered for people (sentences in a language, terminal
tables, summaries). A view reads decisions and rules; it never decides."""
