"""Gather: read and check everything every output is made from, once, before anything is made.

project.gather() is the stage; the other modules are its steps: reads (every input, recorded),
config (pyproject.toml), load and validate (entry files -> Entry objects, every problem at its
file:line:col), markup (entry text), order, identity, lock, history and releases (note identities
and times), lint (card quality), schema (entries/schema.json).
"""
