"""The spec layer: the analysis file, request files and profiles, parsed and checked once
into plain typed objects that every layer above uses as they are."""
