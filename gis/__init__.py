"""Pure geography: datums, camera calibration, area index, road network and ETA, clustering.

No database, no web: everything here works on numpy arrays, shapely geometries and files.
"""
