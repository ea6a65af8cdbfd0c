// The capacity map: Leaflet (served by the app), council boundaries, and a
// marker per home coloured by rating and sized by vacancies. Without tiles
// the markers and boundaries still show on a plain background; without
// JavaScript the table below the map lists the same homes.
// Relative, so it is fetched under the same versioned name as this file.
import * as L from '../leaflet/leaflet-src.esm.js'

const COLOURS = {
  outstanding: '#00703c', good: '#00703c', sa_strong: '#00703c',
  requires_improvement: '#f47738', sa_inconsistent: '#f47738',
  inadequate: '#d4351c', sa_weak: '#d4351c'
}

function text (tag, content) {
  const el = document.createElement(tag)
  el.textContent = content
  return el
}

function popup (home) {
  const box = document.createElement('div')
  const link = document.createElement('a')
  link.href = '/homes/' + encodeURIComponent(home.urn)
  link.textContent = home.name
  box.append(link, text('p', home.type_label + ' · ' + home.rating_label + (home.flagged ? ' · flagged' : '')))
  if (home.week) {
    box.append(text('p', home.week + ': ' + home.occupied_ours + ' ours, ' + home.occupied_other +
      ' other councils, ' + home.vacancies + ' vacant' + (home.stale ? ' (stale)' : '')))
  } else {
    box.append(text('p', 'No recent return'))
  }
  return box
}

async function draw (element) {
  const map = L.map(element, { scrollWheelZoom: false })
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map)
  }
  const [homes, boundaries] = await Promise.all([
    fetch(element.dataset.homes, { credentials: 'same-origin' }).then(r => r.json()),
    fetch(element.dataset.boundaries, { credentials: 'same-origin' }).then(r => r.json()).catch(() => null)
  ])
  // A search shown on the map: where it started and how far it looked.
  const origin = element.dataset.originLatitude
    ? [Number(element.dataset.originLatitude), Number(element.dataset.originLongitude)]
    : null
  const radiusMetres = Number(element.dataset.radiusMiles || 0) * 1609.344
  // The view first: layers need it to draw.
  const points = homes.map(home => [home.latitude, home.longitude])
  if (origin) {
    map.fitBounds(L.latLng(origin).toBounds(2 * radiusMetres), { padding: [20, 20] })
  } else if (points.length) {
    map.fitBounds(points, { padding: [20, 20] })
  } else {
    map.setView([52.5, -1.5], 6)
  }
  if (origin) {
    L.circle(origin, { radius: radiusMetres, color: '#1d70b8', weight: 2, dashArray: '6 4', fill: false })
      .addTo(map)
    L.marker(origin, {
      title: 'Searched from ' + element.dataset.originLabel,
      alt: 'Searched from ' + element.dataset.originLabel,
      icon: L.divIcon({ className: 'app-map-origin', html: '<span aria-hidden="true">+</span>', iconSize: [24, 24] })
    }).bindPopup(text('p', 'Searched from ' + element.dataset.originLabel)).addTo(map)
    element.dataset.origin = element.dataset.originLabel
  }
  if (boundaries) {
    L.geoJSON(boundaries, { style: { color: '#1d70b8', weight: 2, fill: false } }).addTo(map)
  }
  for (const home of homes) {
    L.circleMarker([home.latitude, home.longitude], {
      radius: 5 + 3 * Math.min(home.vacancies || 0, 5),
      color: '#0b0c0c',
      weight: 1,
      fillColor: COLOURS[home.rating] || '#505a5f',
      fillOpacity: 0.85
    }).bindPopup(popup(home)).addTo(map)
  }
  element.dataset.ready = String(homes.length)
}

const element = document.getElementById('map')
if (element) {
  draw(element)
}
