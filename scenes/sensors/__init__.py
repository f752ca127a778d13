"""Sensor intake: JT/T 808 GPS terminals (TCP) and generic sensors (MQTT) -> readings -> events.

- :mod:`~scenes.sensors.jt808`: framing (escape, XOR checksum, 2013/2019 headers), pure;
- :mod:`~scenes.sensors.jt808_messages`: bodies (0x0200, 0x0704, 0x0201, 0x0100, 0x0102,
  0x0001/0x8001, 0x8100, empty bodies), pure;
- :mod:`~scenes.sensors.jt808_encode`: platform replies (0x8001, 0x8100) and location encoders;
- :mod:`~scenes.sensors.jt808_stream`: TCP byte stream -> frames, subpackage reassembly;
- :mod:`~scenes.sensors.readings`: ``SensorReading`` (position) and ``MeasurementReading``;
- :mod:`~scenes.sensors.server`: the asyncio TCP server for terminals;
- :mod:`~scenes.sensors.mqtt`: the MQTT subscriber (paho-mqtt);
- :mod:`~scenes.sensors.fixes`, :mod:`~scenes.sensors.zones`, :mod:`~scenes.sensors.rules_config`,
  :mod:`~scenes.sensors.rules`: readings -> ``SceneEvent`` (source ``"sensor"``).

Coordinates: JT/T 808 terminals report WGS84 (2013) or CGCS2000 (2019), equal to WGS84 within
centimetres, so positions are used as WGS84 directly. MQTT payloads may declare GCJ-02/BD-09 and
are converted. Nothing is imported here: importing the package has no side effects.
"""
