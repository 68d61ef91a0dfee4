"""Print and post formats of one message: poster PDF, sharepic PNG, DIN 5008 letter, SMS CSV."""
