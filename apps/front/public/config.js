// Deployment settings of the page; the proxy or the container may serve its own version of this file.
window.SCALE_LAB = { cdnBaseUrl: '' };
