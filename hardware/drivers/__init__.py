"""Device drivers: the ESC/POS printer, the LED counter display and the two keypads, over a SerialTransport."""
