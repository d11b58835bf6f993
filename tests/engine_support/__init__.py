"""Small dynamic providers and programs for testing the embedded engine.

They live in an importable module because dill pickles provider classes by reference.
"""
