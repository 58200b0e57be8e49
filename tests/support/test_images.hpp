// Placeholder: the imageio work defines the generated test images and the bad-input corpus here.
#pragma once
